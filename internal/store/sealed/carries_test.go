package sealed

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/dancu/dancu/internal/store"
)

// carriesBytes reports whether values of t can hold a byte slice anywhere.
func carriesBytes(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Slice:
		return t.Elem().Kind() == reflect.Uint8 || carriesBytes(t.Elem(), seen)
	case reflect.Array, reflect.Pointer, reflect.Chan:
		return carriesBytes(t.Elem(), seen)
	case reflect.Map:
		return carriesBytes(t.Key(), seen) || carriesBytes(t.Elem(), seen)
	case reflect.Struct:
		for i := range t.NumField() {
			if carriesBytes(t.Field(i).Type, seen) {
				return true
			}
		}
	case reflect.Func:
		for i := range t.NumIn() {
			if carriesBytes(t.In(i), seen) {
				return true
			}
		}
		for i := range t.NumOut() {
			if carriesBytes(t.Out(i), seen) {
				return true
			}
		}
	case reflect.Interface:
		for i := range t.NumMethod() {
			if carriesBytes(t.Method(i).Type, seen) {
				return true
			}
		}
	}
	return false
}

// passThrough lists the store methods that carry bytes but no sealed
// document, so the wrapper leaves them to the backend. Each was checked;
// a method added to the store that carries bytes must be sealed by the
// wrapper or added here with its reason.
var passThrough = map[string]string{
	// The access log holds pseudonyms, purposes and field names, never
	// values, and must stay verifiable from the stored bytes.
	"AccessEntries": "access log", "AccessLeaves": "access log", "AppendAccess": "access log", "PersonAccesses": "access log",
	"Checkpoints": "access log", "LatestCheckpoint": "access log", "PutCheckpoint": "access log",
	// Data keys are stored wrapped under the key-encryption key.
	"DataKeys": "wrapped keys", "AddDataKey": "wrapped keys", "RewrapDataKey": "wrapped keys",
	// The re-seal pass reads and rewrites the stored bytes themselves:
	// sealed ones, and clear ones only to seal them (reseal.go).
	"StoredDocuments": "raw bytes for the re-seal pass", "ReplaceDocuments": "raw bytes for the re-seal pass",
	"CountDocuments":   "raw bytes for the re-seal pass",
	"ClearDatasetKeys": "raw rows for the re-seal pass", "RekeyDatasetRecords": "raw rows for the re-seal pass",
	"HasClearDatasetKeys": "a yes or no for the re-seal pass",
	// Agencies, clients and their public keys are not personal data.
	"DirRecord": "directory", "DirRecords": "directory", "PutDirRecord": "directory",
	// Duplicate evidence holds comparison levels and weights, not values.
	"DuplicateCandidate": "evidence", "DuplicateCandidates": "evidence", "PutDuplicateCandidates": "evidence",
	// A verification job's row holds counts; its files live outside the store.
	"CreateVerifyJob": "job summary", "SaveVerifyJob": "job summary", "VerifyJob": "job summary",
	"VerifyJobs": "job summary", "PendingVerifyJobs": "job summary",
	// The statistics' reads return index columns and links, never documents.
	"PersonChanges": "index columns", "DatasetLinks": "dataset, stored (blind) key and PIN",
	// Listings leave the attachment's content out (Attachment reads it).
	"Attachments": "no content in listings",
}

// TestWrapperCoversEveryDocument fails when a store method that can carry
// a document reaches the backend without the wrapper seeing it: embedding
// the backend would otherwise pass a new method through in clear.
func TestWrapperCoversEveryDocument(t *testing.T) {
	for _, c := range []struct {
		iface, wrapper reflect.Type
		declared       func(string) bool
	}{
		{reflect.TypeFor[store.Store](), reflect.TypeFor[*Store](), declaredBy(t, "Store")},
		{reflect.TypeFor[store.Tx](), reflect.TypeFor[*sealedTx](), declaredBy(t, "sealedTx")},
	} {
		for i := range c.iface.NumMethod() {
			m := c.iface.Method(i)
			if !carriesBytes(m.Type, map[reflect.Type]bool{}) || c.declared(m.Name) {
				continue
			}
			if _, ok := passThrough[m.Name]; !ok {
				t.Errorf("%s.%s carries bytes and %v passes it to the backend unsealed: seal it in the wrapper or list it in passThrough with the reason",
					c.iface.Name(), m.Name, c.wrapper)
			}
		}
	}
	for name := range passThrough {
		if _, ok := reflect.TypeFor[store.Store]().MethodByName(name); !ok {
			t.Errorf("passThrough lists %s, which the store no longer has", name)
		}
	}
}

// declaredBy returns whether this package's source declares a method of
// that name on *recv itself (reflection cannot tell a declared method from
// one promoted from the embedded backend).
func declaredBy(t *testing.T, recv string) func(string) bool {
	t.Helper()
	files, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, fi := range files {
		if !strings.HasSuffix(fi.Name(), ".go") || strings.HasSuffix(fi.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), fi.Name(), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv == nil {
				continue
			}
			if star, ok := fd.Recv.List[0].Type.(*ast.StarExpr); ok {
				if id, ok := star.X.(*ast.Ident); ok && id.Name == recv {
					names[fd.Name.Name] = true
				}
			}
		}
	}
	return func(name string) bool { return names[name] }
}
