package connector

// ParentResource returns the resource of the task whose child is resource
// in a task tree, or false when resource is a root task or absent.
func ParentResource(tasks []Task, resource string) (string, bool) {
	for _, t := range tasks {
		for _, c := range t.Next {
			if c.Resource == resource {
				return t.Resource, true
			}
		}
		if p, ok := ParentResource(t.Next, resource); ok {
			return p, true
		}
	}
	return "", false
}
