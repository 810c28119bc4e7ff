// The realistic context every run carries (unless bare): a system prompt and an agent's other tools
// of stated sizes, generated deterministically. The extra tools are offered for direct calls only
// and are never called by the scenarios.
import type { JsonSchemaToolDefinition } from '@codecall/core';
import { countTokens } from '@codecall/anthropic/simulator';
import { fillerText } from './behaviour-model.ts';
import type { BehaviourSettings } from './behaviour-model.ts';

const extraToolNames = [
  'crm_find_account', 'crm_update_contact', 'docs_search', 'docs_read_page', 'mail_send', 'mail_search_inbox', 'calendar_create_event', 'calendar_find_slot',
  'tickets_create', 'tickets_comment', 'wiki_search', 'files_upload', 'files_share', 'chat_post_message', 'chat_read_channel', 'billing_get_invoice',
  'billing_issue_refund', 'hr_lookup_employee', 'analytics_run_report', 'deploy_get_status', 'feature_flag_get', 'feature_flag_set', 'pager_get_oncall', 'status_page_update',
];

/** The system prompt of a run: about `systemPromptTokens` tokens, or `undefined` when 0. */
export function systemPromptOf(behaviour: BehaviourSettings): string | undefined {
  if (behaviour.systemPromptTokens <= 0) return undefined;
  const head = 'You are an operations assistant for a mid-sized software company. Use the tools to answer; be precise with figures and say which data you used.';
  return `${head}\n\n${fillerText(Math.max(0, behaviour.systemPromptTokens - countTokens(head) - 2), 'system-prompt')}`;
}

/** The extra tool definitions of a run (names that do not clash with `taken`). */
export function extraToolsOf(behaviour: BehaviourSettings, taken: ReadonlySet<string>): JsonSchemaToolDefinition[] {
  const names = extraToolNames.filter((name) => !taken.has(name)).slice(0, behaviour.extraTools);
  return names.map((name) => {
    const inputSchema = {
      type: 'object' as const,
      properties: { query: { type: 'string', description: 'What to look up or act on.' }, limit: { type: 'integer', description: 'Most items to return.' } },
      required: ['query'],
    };
    const fixed = countTokens(`${name}\n\n${JSON.stringify(inputSchema)}`);
    return {
      name,
      description: fillerText(Math.max(8, behaviour.extraToolTokens - fixed), `tool:${name}`),
      inputSchema,
      execute: () => {
        throw new Error(`${name} is not part of this task.`);
      },
    };
  });
}
