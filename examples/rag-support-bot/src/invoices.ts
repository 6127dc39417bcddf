import type OpenAI from 'openai';

/** The one tool the chatbot may call: a lookup in a tiny billing table. */
export const INVOICE_TOOL: OpenAI.ChatCompletionFunctionTool = {
  type: 'function',
  function: {
    name: 'get_invoice',
    description: 'Look up an invoice by its id (INV-####): amount, status and charges.',
    parameters: {
      type: 'object',
      properties: { invoice_id: { type: 'string', description: 'The invoice id, e.g. INV-1042' } },
      required: ['invoice_id'],
    },
  },
};

interface Invoice {
  id: string;
  plan: string;
  amountUsd: number;
  status: 'paid' | 'refunded' | 'open';
  charges: number;
}

const INVOICES: Record<string, Invoice> = {
  'INV-1042': { id: 'INV-1042', plan: 'Plus annual', amountUsd: 60, status: 'paid', charges: 1 },
  'INV-2077': { id: 'INV-2077', plan: 'Team monthly', amountUsd: 48, status: 'open', charges: 2 },
};

export type InvoiceLookup = Invoice | { error: string };

/** Reads the id out of whatever the model passed (the mock passes the user's whole sentence). */
export function lookupInvoice(args: { invoice_id?: unknown }): InvoiceLookup {
  const id = /INV-\d+/i.exec(String(args.invoice_id ?? ''))?.[0]?.toUpperCase();
  if (!id) return { error: 'no invoice id given' };
  return INVOICES[id] ?? { error: `invoice ${id} not found` };
}
