/** Every Oversight dashboard by file name, and the shape they are provisioned in. */
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { feedback } from './feedback.ts';
import { gaps } from './gaps.ts';
import { hallucination } from './hallucination.ts';
import { overview } from './overview.ts';
import { safety } from './safety.ts';

export const DASHBOARDS: Record<string, () => dashboard.DashboardBuilder> = {
  overview,
  hallucination,
  'kb-gaps': gaps,
  safety,
  feedback,
};

/**
 * A dashboard as provisioned, its panels numbered in order: Grafana numbers
 * id-less panels itself when it loads them, so an alert rule could not name
 * one to link to.
 */
export function buildDashboard(name: string): dashboard.Dashboard {
  const build = DASHBOARDS[name];
  if (!build) throw new Error(`no dashboard ${name}`);
  const value = build().build();
  for (const [i, panel] of (value.panels ?? []).entries()) panel.id = i + 1;
  return value;
}

/** The dashboard uid and panel id an alert rule links to, for a panel found by title. */
export function panelLink(name: string, title: string): { dashboardUid: string; panelId: number } {
  const board = buildDashboard(name);
  const panel = (board.panels ?? []).find((p) => p.title === title && p.type !== 'row');
  if (!panel?.id || !board.uid) throw new Error(`no panel "${title}" in ${name}`);
  return { dashboardUid: board.uid, panelId: panel.id };
}
