package protocol

// TaskCreateWebhooks is the resource of a task-tree node that creates the
// connector's webhooks instead of fetching (Formance's
// TASK_CREATE_WEBHOOKS). sync/run calls CreateWebhooks for it with the
// session's ingress URL; its TaskRun counts the configs created in items.
const TaskCreateWebhooks = "createWebhooks"
