// The party's link carries its access code after "#" (the fragment), which the browser never sends to
// the server, so the code reaches no access log. Post it from here and take it out of the address bar.
// Links sent before the fragment carried it as "?k="; that request has reached the server already, so
// it is posted the same way rather than read by the server from the URL.
(function () {
  "use strict";
  const form = document.getElementById("party-open-form");
  if (!form) return;
  const fromFragment = new URLSearchParams(window.location.hash.slice(1)).get("k");
  const fromQuery = new URLSearchParams(window.location.search).get("k");
  const code = fromFragment || fromQuery;
  if (window.location.hash || window.location.search) {
    window.history.replaceState(null, "", window.location.pathname);
  }
  if (code) {
    document.getElementById("party-open-hint").hidden = false;
    form.elements.k.value = code;
    form.submit();
  }
})();
