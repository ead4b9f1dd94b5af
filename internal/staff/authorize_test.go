package staff

import (
	"errors"
	"fmt"
	"testing"

	"github.com/dancu/dancu/internal/registry"
)

// TestAuthorize checks every role against every action, with targets inside,
// outside and missing, plus the edge cases of scopes.
func TestAuthorize(t *testing.T) {
	hcm := Unit{Province: "79"}
	saigon := Unit{Province: "79", Commune: "26740"}
	otherHCM := Unit{Province: "79", Commune: "26743"}
	baDinh := Unit{Province: "01", Commune: "00004"}
	hanoi := Unit{Province: "01"}

	admin := &Account{Roles: []Role{NationalAdmin}}
	provReg := &Account{Roles: []Role{Registrar}, Scope: []Unit{hcm}}
	commReg := &Account{Roles: []Role{Registrar}, Scope: []Unit{baDinh}}
	twoReg := &Account{Roles: []Role{Registrar}, Scope: []Unit{baDinh, saigon}}
	auditor := &Account{Roles: []Role{Auditor}}
	stat := &Account{Roles: []Role{Statistician}}
	regAud := &Account{Roles: []Role{Registrar, Auditor}, Scope: []Unit{hcm}}
	disabledAdmin := &Account{Roles: []Role{NationalAdmin}, Disabled: true}
	noRoles := &Account{}

	type row struct {
		acct    *Account
		targets []Unit
		allowed map[Action]bool // actions allowed; all others refused
	}
	all := map[Action]bool{ManageStaff: true, ReadRegistry: true, SubmitEvent: true, ReadAccessLog: true, ReadStatistics: true, ManageConnections: true, ProcessDossier: true, ConfigureServices: true, ReviewDuplicates: true, VerifyIdentity: true}
	tests := map[string]row{
		"admin, no target":               {admin, nil, all},
		"admin, any target":              {admin, []Unit{baDinh}, all},
		"province registrar, inside":     {provReg, []Unit{saigon}, map[Action]bool{ReadRegistry: true, SubmitEvent: true, ProcessDossier: true, ReviewDuplicates: true, VerifyIdentity: true}},
		"province registrar, other comm": {provReg, []Unit{otherHCM}, map[Action]bool{ReadRegistry: true, SubmitEvent: true, ProcessDossier: true, ReviewDuplicates: true, VerifyIdentity: true}},
		"province registrar, outside":    {provReg, []Unit{baDinh}, map[Action]bool{ReadRegistry: true}},
		"province registrar, no target":  {provReg, nil, map[Action]bool{ReadRegistry: true}},
		"province registrar, one of two": {provReg, []Unit{baDinh, saigon}, map[Action]bool{ReadRegistry: true, SubmitEvent: true, ProcessDossier: true, ReviewDuplicates: true, VerifyIdentity: true}},
		"commune registrar, inside":      {commReg, []Unit{baDinh}, map[Action]bool{ReadRegistry: true, SubmitEvent: true, ProcessDossier: true, ReviewDuplicates: true, VerifyIdentity: true}},
		// A commune scope does not cover its province as a whole.
		"commune registrar, province only target": {commReg, []Unit{hanoi}, map[Action]bool{ReadRegistry: true}},
		"commune registrar, other commune":        {commReg, []Unit{{Province: "01", Commune: "00008"}}, map[Action]bool{ReadRegistry: true}},
		// The same commune code under another province is not the commune.
		"commune registrar, wrong province": {commReg, []Unit{{Province: "79", Commune: "00004"}}, map[Action]bool{ReadRegistry: true}},
		"two-commune registrar, second":     {twoReg, []Unit{saigon}, map[Action]bool{ReadRegistry: true, SubmitEvent: true, ProcessDossier: true, ReviewDuplicates: true, VerifyIdentity: true}},
		"two-commune registrar, neither":    {twoReg, []Unit{otherHCM}, map[Action]bool{ReadRegistry: true}},
		"registrar, empty target unit":      {provReg, []Unit{{}}, map[Action]bool{ReadRegistry: true}},
		"auditor":                           {auditor, []Unit{saigon}, map[Action]bool{ReadAccessLog: true}},
		"statistician":                      {stat, []Unit{saigon}, map[Action]bool{ReadStatistics: true}},
		"registrar and auditor":             {regAud, []Unit{saigon}, map[Action]bool{ReadRegistry: true, SubmitEvent: true, ProcessDossier: true, ReviewDuplicates: true, VerifyIdentity: true, ReadAccessLog: true}},
		"disabled admin":                    {disabledAdmin, nil, nil},
		"no roles":                          {noRoles, []Unit{saigon}, nil},
		"no account":                        {nil, []Unit{saigon}, nil},
		"scope without registrar role":      {&Account{Roles: []Role{Auditor}, Scope: []Unit{hcm}}, []Unit{saigon}, map[Action]bool{ReadAccessLog: true}},
		"registrar with empty scope":        {&Account{Roles: []Role{Registrar}}, []Unit{saigon}, map[Action]bool{ReadRegistry: true}},
		"registrar with empty scope unit":   {&Account{Roles: []Role{Registrar}, Scope: []Unit{{}}}, []Unit{{}}, map[Action]bool{ReadRegistry: true}},
	}
	for name, tt := range tests {
		for _, act := range append(Actions, Action("delete_everything")) {
			t.Run(fmt.Sprintf("%s/%s", name, act), func(t *testing.T) {
				err := Authorize(tt.acct, act, tt.targets)
				if want := tt.allowed[act]; (err == nil) != want {
					t.Errorf("Authorize = %v, want allowed %v", err, want)
				}
				if err != nil && !errors.Is(err, ErrForbidden) {
					t.Errorf("refusal %v is not ErrForbidden", err)
				}
			})
		}
	}
}

func TestEventAuthorizer(t *testing.T) {
	if EventAuthorizer(&Account{Roles: []Role{NationalAdmin}}) != nil {
		t.Error("a national admin gets a hook")
	}
	hook := EventAuthorizer(&Account{Roles: []Role{Registrar}, Scope: []Unit{{Province: "79"}}})
	if err := hook([]registry.UnitRef{{Province: "79", Commune: "26740"}}); err != nil {
		t.Errorf("inside: %v", err)
	}
	if err := hook([]registry.UnitRef{{Province: "01", Commune: "00004"}}); !errors.Is(err, ErrForbidden) {
		t.Errorf("outside: %v", err)
	}
	if err := EventAuthorizer(&Account{Roles: []Role{NationalAdmin}, Disabled: true})(nil); err == nil {
		t.Error("a disabled admin's hook allows")
	}
}
