/**
 * The operationId of every documented route: `Controller.method` → a stable camelCase verb
 * phrase, so that generated clients get readable method names (`listProjects`, `createToken`)
 * that do not change when a handler is renamed. A route missing here keeps a derived id
 * (`methodController`), and the OpenAPI test fails until it is named.
 */
export const OPERATION_IDS: Readonly<Record<string, string>> = {
  'AdminController.listUsers': 'listUsers',
  'AdminController.createUser': 'createUser',
  'AdminController.updateUser': 'updateUser',
  'AdminController.createPasswordReset': 'createPasswordResetLink',
  'AdminController.resetTwoFactor': 'adminResetTwoFactor',
  'AdminController.listWorkspaces': 'listAllWorkspaces',
  'AdminController.updateWorkspace': 'adminUpdateWorkspace',
  'AdminSettingsController.get': 'getSettings',
  'AdminSettingsController.update': 'updateSettings',
  'AdminTokensController.list': 'listAllTokens',
  'AdminTokensController.revoke': 'adminRevokeToken',
  'AuditController.list': 'listAuditEvents',
  'AuditController.adminList': 'listAllAuditEvents',
  'HealthController.live': 'getLiveness',
  'HealthController.ready': 'getReadiness',
  'IssuesController.list': 'listIssues',
  'IssuesController.create': 'createIssue',
  'IssuesController.get': 'getIssue',
  'IssuesController.update': 'updateIssue',
  'IssuesController.remove': 'deleteIssue',
  'LegacyAuthUsageController.list': 'listLegacyAuthUsage',
  'MeController.me': 'getMe',
  'OAuthAuthorizationsController.list': 'listMyAuthorizations',
  'OAuthAuthorizationsController.revoke': 'revokeMyAuthorization',
  'PasswordController.change': 'changeMyPassword',
  'SessionsController.list': 'listMySessions',
  'SessionsController.end': 'endMySession',
  'OAuthApplicationsController.list': 'listOAuthApplications',
  'OAuthApplicationsController.create': 'createOAuthApplication',
  'OAuthApplicationsController.remove': 'deleteOAuthApplication',
  'OAuthController.metadata': 'getOAuthServerMetadata',
  'OAuthController.token': 'oauthToken',
  'OAuthController.tokenInfo': 'getOAuthTokenInfo',
  'OAuthController.revoke': 'oauthRevoke',
  'OAuthController.introspect': 'oauthIntrospect',
  'ProjectsController.list': 'listProjects',
  'ProjectsController.create': 'createProject',
  'ProjectsController.get': 'getProject',
  'ProjectsController.update': 'updateProject',
  'ProjectsController.remove': 'deleteProject',
  'TokensController.create': 'createToken',
  'TokensController.list': 'listTokens',
  'TokensController.self': 'getCurrentToken',
  'TokensController.get': 'getToken',
  'TokensController.rotate': 'rotateToken',
  'TokensController.update': 'updateToken',
  'TokensController.revoke': 'revokeToken',
  'TokenPolicyController.get': 'getTokenPolicy',
  'WebhooksController.list': 'listWebhooks',
  'WebhooksController.create': 'createWebhook',
  'WebhooksController.get': 'getWebhook',
  'WebhooksController.update': 'updateWebhook',
  'WebhooksController.remove': 'deleteWebhook',
  'WebhooksController.listDeliveries': 'listWebhookDeliveries',
  'WebhooksController.redeliver': 'redeliverWebhookDelivery',
  'TokenPolicyController.update': 'updateTokenPolicy',
  'TwoFactorController.start': 'startTwoFactor',
  'TwoFactorController.confirm': 'confirmTwoFactor',
  'TwoFactorController.disable': 'disableTwoFactor',
  'TwoFactorController.regenerateRecoveryCodes': 'regenerateRecoveryCodes',
  'WorkspacesController.list': 'listWorkspaces',
  'WorkspacesController.create': 'createWorkspace',
  'WorkspacesController.get': 'getWorkspace',
  'WorkspacesController.update': 'updateWorkspace',
  'WorkspacesController.members': 'listMembers',
  'WorkspacesController.addMember': 'addMember',
  'WorkspacesController.updateMember': 'updateMember',
  'WorkspacesController.removeMember': 'removeMember',
};

/** @nestjs/swagger's operationIdFactory: the table above, else `methodController`. */
export function operationIdFor(controllerKey: string, methodKey: string): string {
  return (
    OPERATION_IDS[`${controllerKey}.${methodKey}`] ??
    `${methodKey}${controllerKey.replace(/Controller$/, '')}`
  );
}
