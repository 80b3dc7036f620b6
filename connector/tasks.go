package connector

import "github.com/switchboardpay/switchboard/protocol"

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

// TaskCreateWebhooks is the Resource of a task that creates the
// connector's webhooks (Formance's TASK_CREATE_WEBHOOKS): a sync runs it
// by calling CreateWebhooks with the session's ingress URL, and with the
// parent item as FromPayload when it is a child task. It fetches nothing
// and has no children.
const TaskCreateWebhooks = protocol.TaskCreateWebhooks
