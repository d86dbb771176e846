import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * SPEC §11.3: a workspace's token policy, as columns of `workspaces` so that the workspace the
 * guards already load and cache carries it. Existing workspaces get the permissive default:
 * the instance's maximum lifetime, every scope, no address allow-list required, no idle limit.
 */
export class WorkspaceTokenPolicy1764800000001 implements MigrationInterface {
  name = 'WorkspaceTokenPolicy1764800000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('workspaces', [
      new TableColumn({ name: 'token_max_lifetime_days', type: 'int', isNullable: true }),
      new TableColumn({
        name: 'token_allowed_scopes',
        type: 'varchar',
        length: '32',
        default: "'read,write,delete,admin'",
      }),
      new TableColumn({ name: 'token_require_allowed_cidrs', type: 'boolean', default: false }),
      new TableColumn({ name: 'token_idle_revoke_days', type: 'int', isNullable: true }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const column of [
      'token_idle_revoke_days',
      'token_require_allowed_cidrs',
      'token_allowed_scopes',
      'token_max_lifetime_days',
    ]) {
      await queryRunner.dropColumn('workspaces', column);
    }
  }
}
