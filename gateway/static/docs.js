// Starts Swagger UI on the API's own document (a file, not inline: the page's
// Content-Security-Policy allows scripts from this origin only).
window.ui = SwaggerUIBundle({ url: "/api/v1/openapi.json", dom_id: "#swagger-ui" });
