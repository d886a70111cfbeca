// Swagger UI, served from the vendored bundle; the schema comes from this server.
"use strict";
window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
