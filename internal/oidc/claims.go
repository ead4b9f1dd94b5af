package oidc

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/dancu/dancu/internal/registry"
)

// Scope is a scope a relying party may be allowed: what the citizen is
// told it releases and the registry fields it reads (for the access log).
type Scope struct {
	Name   string
	Title  string   // English, for the consent page
	TitleV string   // Vietnamese
	Claims []string // the claims it releases
	Fields []string // the registry fields read
}

// Scopes offered. openid releases only the pairwise subject; the PIN is
// released only under national_id, which a registration must name.
var scopes = []Scope{
	{Name: "openid", Title: "A pseudonymous identifier for you at this service", TitleV: "Mã định danh ẩn danh của bạn tại dịch vụ này", Claims: []string{"sub"}},
	{Name: "profile", Title: "Your full name", TitleV: "Họ, chữ đệm và tên", Claims: []string{"name", "family_name", "middle_name", "given_name"}, Fields: []string{"full_name"}},
	{Name: "birthdate", Title: "Your date of birth", TitleV: "Ngày, tháng, năm sinh", Claims: []string{"birthdate"}, Fields: []string{"birth_date"}},
	{Name: "gender", Title: "Your sex", TitleV: "Giới tính", Claims: []string{"gender"}, Fields: []string{"sex"}},
	{Name: "address", Title: "Your permanent residence", TitleV: "Nơi thường trú", Claims: []string{"address"}, Fields: []string{"permanent_residence"}},
	{Name: "phone", Title: "Your phone number", TitleV: "Số điện thoại", Claims: []string{"phone_number"}, Fields: []string{"phone"}},
	{Name: "national_id", Title: "Your personal identification number", TitleV: "Số định danh cá nhân", Claims: []string{"pin"}, Fields: []string{"pin"}},
	{Name: "household", Title: "Your household and your relationship to its head", TitleV: "Hộ gia đình và quan hệ với chủ hộ", Claims: []string{"household"}, Fields: []string{"household_id", "relationship_to_head"}},
	{Name: ScopeOrganisation, Title: "The organisation you act for: its name and tax code, and that you acted for it", TitleV: "Tổ chức bạn đại diện: tên, mã số thuế, và việc bạn thay mặt tổ chức", Claims: []string{"organisation", "act"}, Fields: []string{"eid_organisation"}},
	{Name: "offline_access", Title: "Access while you are away (until you revoke it)", TitleV: "Truy cập khi bạn không trực tuyến (đến khi bạn thu hồi)"},
}

// datasetScopePrefix names a linked dataset's scope: dataset:health-insurance.
const datasetScopePrefix = "dataset:"

var datasetName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,63}$`)

// ScopeNames lists the fixed scopes (dataset scopes come on top).
func ScopeNames() []string {
	out := make([]string, len(scopes))
	for i, s := range scopes {
		out[i] = s.Name
	}
	return out
}

// lookupScope describes a scope, or reports that it is unknown.
func lookupScope(name string) (Scope, bool) {
	for _, s := range scopes {
		if s.Name == name {
			return s, true
		}
	}
	if ds, ok := strings.CutPrefix(name, datasetScopePrefix); ok && datasetName.MatchString(ds) {
		return Scope{Name: name, Title: "Your records in the linked dataset " + ds, TitleV: "Dữ liệu của bạn trong cơ sở dữ liệu " + ds,
			Claims: []string{"datasets"}, Fields: []string{name}}, true
	}
	return Scope{}, false
}

func (p *Provider) checkScope(_ context.Context, name string) error {
	if _, ok := lookupScope(name); !ok {
		return fmt.Errorf("%q is not a scope (one of %s, or dataset:NAME)", name, strings.Join(ScopeNames(), ", "))
	}
	return nil
}

// normalizeScopes sorts and deduplicates.
func normalizeScopes(ss []string) []string {
	out := slices.Clone(ss)
	slices.Sort(out)
	return slices.Compact(out)
}

// releasedFields lists the registry fields that scopes read.
func releasedFields(ss []string) []string {
	var out []string
	for _, name := range ss {
		if s, ok := lookupScope(name); ok {
			out = append(out, s.Fields...)
		}
	}
	return out
}

// claimsFor builds the userinfo claims that scopes release about a person.
// Only attributes the person has are present.
func (p *Provider) claimsFor(ctx context.Context, person *registry.Person, ss []string) (map[string]any, error) {
	out := map[string]any{}
	for _, name := range ss {
		switch name {
		case "profile":
			out["name"] = person.FullName
			parts := strings.Fields(person.FullName)
			if len(parts) > 0 {
				out["family_name"] = parts[0]
				out["given_name"] = parts[len(parts)-1]
			}
			if len(parts) > 2 {
				out["middle_name"] = strings.Join(parts[1:len(parts)-1], " ")
			}
		case "birthdate":
			if !person.BirthDate.IsZero() {
				out["birthdate"] = person.BirthDate.String()
			}
		case "gender":
			if person.Sex != "" {
				out["gender"] = string(person.Sex)
			}
		case "address":
			if r := person.PermanentResidence; r != nil {
				out["address"] = map[string]string{
					"street_address": r.Address, "locality": r.Commune, "region": r.Province, "country": "VN",
					"formatted": strings.Join(nonEmpty(r.Address, "commune "+r.Commune, "province "+r.Province), ", "),
				}
			}
		case "phone":
			if person.Phone != "" {
				out["phone_number"] = person.Phone
			}
		case "national_id":
			out["pin"] = person.PIN
		case "household":
			if person.HouseholdID != "" {
				out["household"] = map[string]string{"id": person.HouseholdID, "relationship_to_head": person.RelationshipToHead}
			}
		default:
			ds, ok := strings.CutPrefix(name, datasetScopePrefix)
			if !ok || p.datasets == nil {
				continue
			}
			recs, err := p.datasets.DatasetRecordsByPIN(ctx, ds, person.PIN)
			if err != nil {
				return nil, err
			}
			all, _ := out["datasets"].(map[string]any)
			if all == nil {
				all = map[string]any{}
				out["datasets"] = all
			}
			list := make([]map[string]any, 0, len(recs))
			for _, r := range recs {
				var attrs map[string]any
				if err := json.Unmarshal(r.Data, &attrs); err != nil {
					return nil, fmt.Errorf("oidc: dataset %s record: %w", ds, err)
				}
				list = append(list, map[string]any{"key": r.Key, "source": r.Source, "attributes": attrs, "updated_at": r.UpdatedAt})
			}
			all[ds] = list
		}
	}
	return out, nil
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" && !strings.HasSuffix(s, " ") {
			out = append(out, s)
		}
	}
	return out
}
