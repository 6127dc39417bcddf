/** Panel shorthands: each takes a title, a query and a width, the dashboard lays them out. */
import * as barchart from '@grafana/grafana-foundation-sdk/barchart';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { ClickHouseQuery, DATASOURCE, Format, type Select } from '../clickhouse.ts';
import { traceLink } from './common.ts';

/**
 * Where a stat turns orange and red, lowest first: for a value that is worse
 * the higher it is. Without it the stat is not coloured at all, since
 * Grafana's default thresholds (red from 80) would paint any count above 80
 * red and leave every rate (0–1) green however bad.
 */
export interface WorseAbove {
  orange?: number;
  red: number;
}

export function statPanel(
  title: string,
  sql: Select,
  unit: string,
  width = 6,
  worseAbove?: WorseAbove,
): stat.PanelBuilder {
  const panel = new stat.PanelBuilder()
    .title(title)
    .datasource(DATASOURCE)
    .withTarget(new ClickHouseQuery(sql, Format.Table))
    .unit(unit)
    .graphMode(common.BigValueGraphMode.None)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .span(width)
    .height(4);
  if (!worseAbove) return panel.colorMode(common.BigValueColorMode.None);
  const steps: dashboard.Threshold[] = [{ value: null, color: 'green' }];
  if (worseAbove.orange !== undefined) steps.push({ value: worseAbove.orange, color: 'orange' });
  steps.push({ value: worseAbove.red, color: 'red' });
  return panel
    .colorMode(common.BigValueColorMode.Value)
    .thresholds(new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps(steps));
}

export function timeSeriesPanel(
  title: string,
  sql: Select,
  unit: string,
  width = 12,
): timeseries.PanelBuilder {
  return new timeseries.PanelBuilder()
    .title(title)
    .datasource(DATASOURCE)
    .withTarget(new ClickHouseQuery(sql, Format.TimeSeries))
    .unit(unit)
    .lineWidth(1)
    .fillOpacity(10)
    .span(width)
    .height(8);
}

/**
 * Units of table columns, by the name a query gives them: a rate column with
 * none shows 0.05 where the stats above it show 5 %.
 */
export const COLUMN_UNITS: Record<string, string> = {
  rate: 'percentunit',
  rate_at_least: 'percentunit',
  thumbs_up_rate_at_most: 'percentunit',
  error_rate: 'percentunit',
  gap_rate: 'percentunit',
  thumbs_up_rate: 'percentunit',
  cost_usd: 'currencyUSD',
  duration_ms: 'ms',
};

/** A table; `traceField` names the column whose cells open Grafana's trace view. */
export function tablePanel(title: string, sql: Select, width = 24, traceField?: string): table.PanelBuilder {
  const panel = new table.PanelBuilder()
    .title(title)
    .datasource(DATASOURCE)
    .withTarget(new ClickHouseQuery(sql, Format.Table))
    .span(width)
    .height(9);
  for (const name of sql.columnNames()) {
    const unit = COLUMN_UNITS[name];
    if (unit) panel.overrideByName(name, [{ id: 'unit', value: unit }]);
  }
  if (traceField) {
    panel.overrideByName(traceField, [{ id: 'links', value: [traceLink(traceField)] }]);
  }
  return panel;
}

/** A bar chart; Grafana's bar chart wants a string (or time) x field, so buckets come as text. */
export function barPanel(title: string, sql: Select, xField: string, width = 12): barchart.PanelBuilder {
  return new barchart.PanelBuilder()
    .title(title)
    .datasource(DATASOURCE)
    .withTarget(new ClickHouseQuery(sql, Format.Table))
    .xField(xField)
    .span(width)
    .height(8);
}

export function row(title: string): dashboard.RowBuilder {
  return new dashboard.RowBuilder(title);
}
