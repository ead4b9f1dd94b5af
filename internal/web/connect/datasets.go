package connect

import (
	"errors"
	"net/http"
	"slices"

	"github.com/dancu/dancu/internal/dataset"
	"github.com/dancu/dancu/internal/exchange"
	"github.com/dancu/dancu/internal/store"
)

// datasetForm is the register-dataset form as filled in.
type datasetForm struct{ Name, Kind, Agency string }

// datasetsView is the body of the datasets page.
type datasetsView struct {
	Datasets []dataset.Coverage
	Living   int64
	Kinds    []*dataset.Kind
	Agencies []exchange.Agency
	Form     datasetForm
	Errs     formErrors
}

func (h *Handler) datasets(w http.ResponseWriter, r *http.Request) {
	h.renderDatasets(w, r, http.StatusOK, datasetForm{}, nil)
}

func (h *Handler) renderDatasets(w http.ResponseWriter, r *http.Request, status int, f datasetForm, errs formErrors) {
	cov, living, err := h.d.Datasets.Datasets(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ags, err := h.d.Exchange.Agencies(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := datasetsView{Datasets: cov, Living: living, Agencies: ags, Form: f, Errs: errs}
	for _, k := range dataset.KindNames() {
		v.Kinds = append(v.Kinds, dataset.LookupKind(k))
	}
	h.render(w, r, status, "datasets", h.cat(r).T("datasets.title"), v)
}

func (h *Handler) registerDataset(w http.ResponseWriter, r *http.Request) {
	c := h.cat(r)
	f := datasetForm{Name: formValue(r, "name"), Kind: formValue(r, "kind"), Agency: formValue(r, "agency")}
	errs := formErrors{}
	if !idPattern.MatchString(f.Name) {
		errs.add("name", c.T("err.id"))
	}
	if !slices.Contains(dataset.KindNames(), f.Kind) {
		errs.add("kind", c.T("err.ds_kind"))
	}
	if f.Agency == "" {
		errs.add("agency", c.T("err.ds_agency"))
	} else if _, err := h.d.Exchange.Agency(r.Context(), f.Agency); errors.Is(err, store.ErrNotFound) {
		errs.add("agency", c.T("err.ds_agency"))
	} else if err != nil {
		h.fail(w, r, err)
		return
	}
	if len(errs) > 0 {
		h.renderDatasets(w, r, http.StatusBadRequest, f, errs)
		return
	}
	_, err := h.d.Datasets.Register(r.Context(), dataset.Dataset{Name: f.Name, Kind: f.Kind, Agency: f.Agency})
	switch {
	case errors.Is(err, store.ErrExists):
		h.renderDatasets(w, r, http.StatusConflict, f, formErrors{"name": c.T("err.id_taken")})
		return
	case errors.Is(err, dataset.ErrInvalid):
		h.renderDatasets(w, r, http.StatusBadRequest, f, serviceErrors(c, err, "name", "kind", "agency"))
		return
	case err != nil:
		h.fail(w, r, err)
		return
	}
	h.changed(r, "dataset_added", f.Name)
	redirect(w, r, prefix+"datasets", "dataset_added")
}
