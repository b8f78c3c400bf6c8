// The worklist keeps the keyboard where it was when htmx swaps its results (issue 18 item 12): htmx itself
// refocuses the control used when the new results have it again (a sort link: its id). A page link that is not
// there any more (the first or the last page) hands the focus to the other page link, never to the page's top.
(function () {
  "use strict";
  document.addEventListener("htmx:afterSettle", function (event) {
    var results = document.getElementById("results");  // the new one: the swap replaced the target itself
    if (!results || !event.detail || !event.detail.target || event.detail.target.id !== "results") { return; }
    var focused = document.activeElement;
    if (focused && focused !== document.body && document.contains(focused)) { return; }
    var other = results.querySelector("nav.pages a");
    if (other) { other.focus(); }
  });
})();
