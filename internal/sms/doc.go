// Package sms sends short text messages — one-time codes, notices — to
// citizens' phones through a Sender. HTTPSender posts to an SMS gateway over
// HTTPS, the production choice; FileSender appends each message to a file
// for a developer (and the browser tests) to read, and is used by serve
// --demo when no gateway is configured. FileSender is never the default of
// a production configuration: with no provider configured, nothing is sent
// and the features that need SMS say so.
//
// Neither sender logs a phone number or a message: a message may carry a
// code, and a phone number is personal data.
package sms
