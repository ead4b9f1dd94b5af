// Package webtest signs officers in to a console under test and gives
// them an HTTP client, the same way for every section's tests: an account
// created with the staff service, its issued password changed, the
// sign-in form posted with the TOTP code of now.
package webtest
