// Starts Swagger UI on this page. It lives in its own file, not inline, so
// the page's Content-Security-Policy can allow scripts from this origin only.
"use strict";

(function () {
  var scheme = "bearerAuth";

  // authorize does what pasting the token into "Authorize" does, including
  // keeping it across reloads (persistAuthorization).
  function authorize(token) {
    var schema = window.ui.specSelectors.specJson().getIn(["components", "securitySchemes", scheme]);
    if (!schema) {
      return;
    }
    var auth = {};
    auth[scheme] = { name: scheme, schema: schema.toJS(), value: token };
    window.ui.authActions.authorizeWithPersistOption(auth);
  }

  // After a successful login the token authorises every later call; after
  // a logout it is forgotten.
  function followSession(res) {
    var path = "";
    try {
      path = new URL(res.url, window.location.href).pathname;
    } catch (e) {
      return res;
    }
    if (res.status === 200 && /\/auth\/login$/.test(path) && res.body && res.body.token) {
      authorize(res.body.token);
    }
    if (res.status === 200 && /\/auth\/logout$/.test(path)) {
      window.ui.authActions.logoutWithPersistOption([scheme]);
    }
    return res;
  }

  window.ui = SwaggerUIBundle({
    // Relative, so the page works under any path prefix it is served at.
    url: "openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    tryItOutEnabled: true,
    persistAuthorization: true,
    displayRequestDuration: true,
    defaultModelsExpandDepth: 0,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    responseInterceptor: followSession
  });
})();
