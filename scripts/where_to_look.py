"""Printed by ``make run``: where each part of the running product can be seen."""

from services.console.pages import demo_people
from shared import auth, config

SMTP_PORT, SMS_PORT = config.env("SMTP_PORT", "2525"), config.env("SMS_PORT", "9090")  # make run's stand-ins
LINES = f"""
The hospital complaint platform is running (demo hospital: campuses east and west).

  web console    {config.service_url("console")}/   sign in as a demo user (below), in Chinese or English

  intake         {config.service_url("intake")}/complaints            register, list complaints
  investigation  {config.service_url("investigation")}/cases/<complaint_id>   a case and its deadlines
  notification   {config.service_url("notification")}/notifications?complaint_id=<id>
  reporting      {config.service_url("reporting")}/reports/summary       received per campus and category

  every service: /health/live  /health/ready  /metrics  (and /events?after=0&limit=100 on event owners)
  RabbitMQ:      http://127.0.0.1:15672  (guest/guest) — exchanges intake.events, investigation.events, ...
  logs:          var/log/<service>.log  (JSON lines)        stop with: make stop
  messages sent: var/mail/*.json (a local SMTP server on :{SMTP_PORT}), SMS at http://127.0.0.1:{SMS_PORT} (stand-in)

Try:
  curl -s -XPOST {config.service_url("intake")}/complaints -H "Authorization: Bearer $TOKEN" \\
    -H 'Content-Type: application/json' \\
    -d '{{"campus":"east","channel":"phone","category":"billing","severity":"normal",
         "source":"patient_or_family","summary":"Charged twice","departments":["billing_office"]}}'
"""


def console_logins() -> str:
    """The demo users the console's sign-in page offers (one click each; no password in demo mode)."""
    wanted = ["east-desk", "east-office", "east-cardiology", "west-office", "leadership-lead-01", "auditor", "ops"]
    people = {p.key: p for p in demo_people(config.load_hospital())}
    return "\n".join(
        f"  {key:20} {people[key].subject:26} {people[key].role}"
        + (f" ({people[key].department})" if people[key].department else "")
        for key in wanted
    )


def tokens() -> str:
    demo = auth.demo_tokens(config.load_hospital())
    wanted = [
        "east first-contact desk",
        "east complaint office head",
        "east cardiology liaison",
        "west complaint office head",
        "leadership lead-01",
        "auditor",
        "ops",
    ]
    return "\n".join(f"  {who:30} {demo[who]}" for who in wanted)


if __name__ == "__main__":
    print(LINES)
    print(f"Web console: {config.service_url('console')}/  — demo sign-in (all of them are on its sign-in page):")
    print(console_logins())
    print()
    print("Every endpoint but health and metrics wants a bearer token. Demo tokens (12 h; all of them:")
    print("`python -m shared.auth demo`; your own: `python -m shared.auth mint --sub ID --role ROLE --campus east`):")
    print(tokens())
