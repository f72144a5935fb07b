package handlers

// Registry maps names to owners.
type Registry struct{ owners map[string]string }

// Register adds or replaces an owner.
func (r *Registry) Register(name, owner string) {
	if r.owners == nil {
		r.owners = map[string]string{}
	}
	r.owners[name] = owner
}

// Owner looks a name up.
func (r *Registry) Owner(name string) (string, bool) {
	o, ok := r.owners[name]
	return o, ok
}
