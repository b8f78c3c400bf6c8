-- Run once by the postgres image on an empty data directory: one database per service (each service owns
-- its own; shared.migrate would also create a missing one, but an operator's PostgreSQL has them made up front).
CREATE DATABASE complaints_intake;
CREATE DATABASE complaints_investigation;
CREATE DATABASE complaints_notification;
CREATE DATABASE complaints_reporting;
