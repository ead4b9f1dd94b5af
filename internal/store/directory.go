package store

// Directory keeps the small, slowly changing records about who may use the
// registry: staff accounts, connected agencies, their API clients and their
// grants, and single-use values such as client-assertion ids. It also keeps
// the datasets that agencies link to people. Filled in by the agencies issue.
type Directory interface{}
