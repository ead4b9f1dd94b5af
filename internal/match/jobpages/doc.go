// Package jobpages is the console's section for bulk verification jobs
// (/console/verify-jobs/): the operators of the data centre see every
// agency's jobs with their progress and summary, download a result file,
// and cancel a job that is queued or running (package match's Engine does
// the work; this package only presents it). It is open to national
// administrators (the action manage_connections), like the rest of the
// agencies' connections.
package jobpages
