package exchange

import (
	"crypto"
	_ "crypto/sha256" // the JWK thumbprint hash
	"encoding/base64"
)

const cryptoSHA256 = crypto.SHA256

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
