import type { Kysely } from 'kysely';
import type { Migration } from './index';

/**
 * Deployment domain: conversations of a deployed endpoint belong to the API key that made
 * them. `key_id` is the deployment key's id (NULL for the builder's playground, whose
 * scope is `flow:<id>` and which the admin token guards). The row id of a keyed
 * conversation is `<slug>/<keyId>/<sessionId>` (server/deployment/conversations.ts).
 *
 * Existing deployment conversations were stored without their key, so no caller can be
 * shown to own them: they are deleted (callers start a fresh history). Playground
 * conversations (`flow:%`) are kept.
 */
export const conversationKey: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('conversations').addColumn('key_id', 'text').execute();
    await db.deleteFrom('conversations').where('scope', 'not like', 'flow:%').execute();
    await db.schema.createIndex('conversations_key').on('conversations').column('key_id').execute();
  },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropIndex('conversations_key').ifExists().execute();
    // Keyed rows would become reachable by any key of their deployment again: drop them.
    await db.deleteFrom('conversations').where('key_id', 'is not', null).execute();
    await db.schema.alterTable('conversations').dropColumn('key_id').execute();
  },
};
