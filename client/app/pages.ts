import type { ComponentType } from 'react';

/**
 * Pages other than Flows, one line each. A helper that writes a page adds its line here:
 *   knowledge:   () => import('../knowledge/KnowledgePage'),
 *   evaluations: () => import('../evaluation/EvaluationPage'),
 *   deployments: () => import('../deploy/DeployPage'),
 * A nav entry whose loader is missing shows a "not available yet" page.
 */
export type PageLoader = () => Promise<{ default: ComponentType }>;

export interface NavEntry {
  path: string;
  title: string;
  icon: string;
}

export const NAV: NavEntry[] = [
  { path: 'flows', title: 'Flows', icon: 'flows' },
  { path: 'inbox', title: 'Inbox', icon: 'inbox' },
  { path: 'knowledge', title: 'Knowledge', icon: 'book' },
  { path: 'evaluations', title: 'Evaluations', icon: 'chart' },
  { path: 'deployments', title: 'Deployments', icon: 'rocket' },
];

export const pages: Record<string, PageLoader> = {
  inbox: () => import('../inbox/InboxPage'),
  knowledge: () => import('../knowledge/KnowledgePage'),
  deployments: () => import('../deploy/DeployPage'),
  evaluations: () => import('../evaluation/EvaluationPage'),
};
