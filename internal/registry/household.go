package registry

import "slices"

// validRelationships are the codes of a member's relationship to the head.
var validRelationships = []string{RelHead, RelSpouse, RelChild, RelParent, RelGrandchild, RelSibling, RelOther}

func checkRelationship(field, rel string) error {
	if rel == RelHead || !slices.Contains(validRelationships, rel) {
		return invalid(field, "must be one of spouse, child, parent, grandchild, sibling, other")
	}
	return nil
}

// headChange says who heads a household after its head leaves, and the
// relationship of every other member to the new head. Members it does not
// name are recorded as "other".
type headChange struct {
	NewHeadPIN    string            `json:"new_head_pin,omitempty"`
	Relationships map[string]string `json:"relationships,omitempty"`
}

// leaveHousehold takes p out of its household. If p heads it and others stay,
// hc must name one of them as the new head; the last member leaving dissolves it.
func (a *applier) leaveHousehold(p *Person, hc headChange) error {
	if p.HouseholdID == "" {
		return nil
	}
	h, err := a.household("household_id", p.HouseholdID)
	if err != nil {
		return err
	}
	if i := h.Member(p.PIN); i >= 0 {
		h.Members = slices.Delete(h.Members, i, i+1)
	}
	a.touchHousehold(h)
	p.HouseholdID, p.RelationshipToHead = "", ""
	a.touch(p)
	switch {
	case len(h.Members) == 0:
		h.Head = ""
		h.Dissolved = a.ev.EffectiveDate
		return nil
	case h.Head != p.PIN:
		if hc.NewHeadPIN != "" {
			return invalid("data.new_head_pin", "only when the head of the household leaves")
		}
		return nil
	}
	if hc.NewHeadPIN == "" {
		return conflict("data.new_head_pin", "the head leaves a household that keeps members: name the new head")
	}
	return a.setHead(h, hc)
}

// setHead makes hc.NewHeadPIN the head of h and rewrites every member's
// relationship to the head, on the household and on each member's record.
func (a *applier) setHead(h *Household, hc headChange) error {
	if h.Member(hc.NewHeadPIN) < 0 {
		return conflict("data.new_head_pin", "not a member of the household")
	}
	head, err := a.person("data.new_head_pin", hc.NewHeadPIN)
	if err != nil {
		return err
	}
	if head.Status.State != Alive {
		return conflict("data.new_head_pin", "the new head is not alive")
	}
	for pin, rel := range hc.Relationships {
		if h.Member(pin) < 0 || pin == hc.NewHeadPIN {
			return invalid("data.relationships", "names someone who is not another member of the household")
		}
		if err := checkRelationship("data.relationships", rel); err != nil {
			return err
		}
	}
	h.Head = hc.NewHeadPIN
	for i := range h.Members {
		m := &h.Members[i]
		switch rel, ok := hc.Relationships[m.PIN]; {
		case m.PIN == hc.NewHeadPIN:
			m.Relationship = RelHead
		case ok:
			m.Relationship = rel
		default:
			m.Relationship = RelOther
		}
		mp, err := a.person("data.relationships", m.PIN)
		if err != nil {
			return err
		}
		if mp.RelationshipToHead != m.Relationship {
			mp.RelationshipToHead = m.Relationship
			a.touch(mp)
		}
	}
	a.touchHousehold(h)
	return nil
}

// joinHousehold adds p to h with a relationship to its head and moves p's
// permanent residence to the household's address.
func (a *applier) joinHousehold(p *Person, h *Household, rel string) {
	h.Members = append(h.Members, HouseholdMember{PIN: p.PIN, Relationship: rel})
	a.touchHousehold(h)
	p.HouseholdID, p.RelationshipToHead = h.ID, rel
	res := h.Address
	res.ValidFrom = a.ev.EffectiveDate
	p.PermanentResidence = &res
	p.ResidenceFileNumber = h.ResidenceFileNumber
	p.TemporaryAbsence = nil
	a.touch(p)
}

// deriveRelationship guesses a newborn's relationship to the head of the
// household it joins from the parents' own relationships.
func deriveRelationship(h *Household, mother, father string) string {
	if h.Head != "" && (h.Head == mother || h.Head == father) {
		return RelChild
	}
	for _, m := range h.Members {
		if (m.PIN == mother || m.PIN == father) && m.Relationship != "" {
			switch m.Relationship {
			case RelSpouse:
				return RelChild
			case RelChild:
				return RelGrandchild
			}
		}
	}
	return RelOther
}
