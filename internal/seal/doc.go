// Package seal encrypts documents at rest: the registry's sensitive values
// (religion, ethnicity, blood type, phone, email, identifying marks, health
// records, biometrics) never reach a database file in clear.
//
// Envelope encryption in two layers. Data-encryption keys (DEKs, AES-256)
// seal documents with AES-256-GCM; they are kept in the store (table
// data_keys) wrapped by a key-encryption key (KEK) that never enters the
// database and comes from a Provider: a key file by default (KeyFile), a
// KMS or HSM by implementing the two-method interface. A Keyring holds the
// unwrapped DEKs of a process in memory.
//
// A sealed document is self-describing (see Seal): a magic prefix no JSON
// document, ASN.1 data group or common file format starts with, the DEK's
// id and the nonce. Documents written before encryption was turned on read
// as they are (Open passes them through) and are sealed when written again;
// DEKs can change over time because every document names its own.
//
// Rotation re-wraps the DEKs under a new KEK (Keyring.Rewrap) without
// touching a document, so it runs while processes serve: they keep their
// unwrapped DEKs, and one that meets a KEK it does not know re-reads the
// key file. A new DEK (Keyring.NewDataKey) seals new writes from then on;
// old documents stay readable under the DEK they name.
//
// Equality lookups on a sensitive value go through a keyed blind index
// (Keyring.Index): an HMAC-SHA-256 under a key kept like a DEK, so that the
// index column reveals equality and nothing else.
package seal
