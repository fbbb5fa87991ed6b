// WiseMind dashboard: the only script besides htmx (the CSP allows no inline script).
// HTMX requests carry the CSRF token in a header, read from the page's meta tag.
(function () {
  "use strict";
  function csrfHeaders() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) {
      document.body.setAttribute("hx-headers", JSON.stringify({ "X-CSRF-Token": meta.content }));
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", csrfHeaders);
  } else {
    csrfHeaders();
  }
})();
