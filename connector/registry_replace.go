package connector

// Replace registers p in place of the provider of the same name, or adds it
// when there is none: a workspace connector rebuilt with a new schema or
// capabilities. Sessions already open keep the connector they have.
func (r *Registry) Replace(p *Provider) {
	if p == nil || p.Name == "" {
		panic("connector: Replace of a provider without a name")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.providers[p.Name] = p
}

// Unregister removes the provider named name and reports whether there was
// one.
func (r *Registry) Unregister(name string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.providers[name]
	delete(r.providers, name)
	return ok
}
