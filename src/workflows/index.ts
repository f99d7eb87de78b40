/** The workflows domain: YAML DAGs of jobs, validated before they run, driven by their jobs' states. */
export { dig, evaluate, ExpressionSyntaxError, parseExpression, referencesOf, truthy, type Expression } from './expression.js';
export {
  StepDefinitionSchema,
  StepViewSchema,
  WORKFLOW_STATES,
  WorkflowBodySchema,
  WorkflowFindingSchema,
  WorkflowSummarySchema,
  WorkflowViewSchema,
  type StepDefinition,
  type StepView,
  type WorkflowDefinition,
  type WorkflowFinding,
  type WorkflowState,
  type WorkflowSummary,
  type WorkflowView,
} from './schema.js';
export { registerWorkflowRoutes } from './routes.js';
export { WorkflowScheduler, type WorkflowSchedulerOptions } from './scheduler.js';
export { formatFindings, WorkflowService, type WorkflowServiceDeps } from './service.js';
export { WorkflowStore } from './store.js';
export { didYouMean, formatPath, readWorkflowSource, validateWorkflow, type ValidationResult } from './validate.js';
