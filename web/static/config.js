// The one setting of the static build: the API's base URL, without a
// trailing slash. "" (the default) calls the origin that served this page,
// which is what the taskapi binary does when it serves the app at /.
// For a copy on S3/CloudFront calling the API on its load balancer, set it
// to that origin, e.g. "https://api.example.com", and list the page's own
// origin in the API's CORS_ALLOWED_ORIGINS.
export default {
  apiBase: "",
};
