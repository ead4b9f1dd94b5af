// Package statshttp serves the statistics: the REST API
// (GET /v1/stats/{indicator} for administrators, with exact counts, and
// GET /v1/public/stats/{indicator} for anyone, protected by disclosure
// control), as JSON or CSV, and the console's statistics section: the
// headline dashboard with charts drawn as server-rendered SVG (no script,
// nothing fetched from the internet).
package statshttp
