// Package connect is the console's section for connected agencies, under
// /console/connect/: national administrators (staff.ManageConnections) and
// the bootstrap administrator register agencies and their API clients
// (with a pasted JWKS, disabled and enabled, keys replaced for a rollover),
// set their purpose-bound grants (legal basis, fields, life events,
// datasets, demographic checks), subscribe their webhooks (the signing
// secret is shown once), look at each subscription's dead letters and
// redeliver them, and register linked datasets and read their coverage of
// the living population.
//
// The pages are a web.Section: the console handles the session, the role
// check, CSRF, the layout and the language; this package owns its pages,
// templates and message catalogue (Vietnamese and English). Every form is
// checked here first with messages naming the field, and the services check
// again; a refused form writes nothing and is shown again with what was
// typed.
package connect
