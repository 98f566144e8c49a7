// Renders /api/openapi.json with Swagger UI. An external file, not an inline script: the
// gateway's Content-Security-Policy allows scripts from 'self' only (docs/DASHBOARD.md).
/* global window, SwaggerUIBundle */
window.addEventListener('DOMContentLoaded', () => {
  window.ui = SwaggerUIBundle({
    url: '/api/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    // No badge from an outside validator service: nothing leaves the gateway.
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    tryItOutEnabled: false,
    persistAuthorization: false,
  });
});
