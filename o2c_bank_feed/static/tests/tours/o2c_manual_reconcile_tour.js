/** Import a statement, reconcile a line by hand with a write-off, undo it.
 *
 * Driven by tests/test_manual_reconcile_tour.py, which prepares the company,
 * the bank journal on DE89370400440532013000, two open invoices of the
 * customer (refs TOUR-INV-A 600.00 and TOUR-INV-B 410.00) and the account
 * "Tour Bank Charges", then checks the accounting after each tour.
 */
import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_utils";
import { inputFiles } from "@web/../tests/utils";

const ENTRY = (amount, ref, date, name, iban, text) => `<Ntry>
<Amt Ccy="USD">${amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
<BookgDt><Dt>${date}</Dt></BookgDt><ValDt><Dt>${date}</Dt></ValDt>
<AcctSvcrRef>${ref}</AcctSvcrRef>
<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
<NtryDtls><TxDtls><RltdPties><Dbtr><Nm>${name}</Nm></Dbtr>
<DbtrAcct><Id><IBAN>${iban}</IBAN></Id></DbtrAcct></RltdPties>
<RmtInf><Ustrd>${text}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>`;

/** A CAMT.053 statement with two receipts: one nobody can place, one paying
 * both invoices minus 10.00 of bank charges. */
const CAMT = `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<GrpHdr><MsgId>MSG-TOUR-1</MsgId><CreDtTm>2026-03-31T18:00:00</CreDtTm></GrpHdr>
<Stmt><Id>TOUR-STMT-1</Id><CreDtTm>2026-03-31T18:00:00</CreDtTm>
<Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>USD</Ccy></Acct>
${ENTRY("45.00", "TOUR-B1", "2026-03-04", "Unknown Sender", "NL91ABNA0417164300", "Office refund")}
${ENTRY("1000.00", "TOUR-B2", "2026-03-05", "Tour Customer", "BE71096123456769", "March invoices")}
</Stmt></BkToCstmrStmt></Document>`;

const DIALOG = ".modal:has(.o_manual_reconcile_items)";

function itemRow(ref) {
    return `${DIALOG} .o_manual_reconcile_items .o_data_row:has(td[name=ref]:contains(${ref}))`;
}

function openBankMenu(xmlid) {
    return [
        {
            content: "Open the Bank menu",
            trigger: ".o_menu_sections [data-menu-xmlid='o2c_bank_feed.menu_o2c_bank']",
            run: "click",
        },
        {
            content: `Open ${xmlid}`,
            trigger: `.dropdown-item[data-menu-xmlid='${xmlid}']`,
            run: "click",
        },
    ];
}

registry.category("web_tour.tours").add("o2c_bank_import_tour", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("o2c_integration.menu_o2c_root", "Open Order-to-Cash"),
        ...openBankMenu("o2c_bank_feed.menu_o2c_bank_import_wizard"),
        {
            content: "Upload the CAMT.053 file",
            trigger: ".modal .o_field_widget[name=data_file]",
            async run() {
                const file = new File([CAMT], "tour_statement.xml", {
                    type: "application/xml",
                });
                await inputFiles(".modal .o_field_widget[name=data_file] input[type=file]", [
                    file,
                ]);
            },
        },
        {
            content: "The file is attached",
            trigger: ".modal .o_field_widget[name=data_file] .o_clear_file_button",
        },
        {
            content: "Import it",
            trigger: ".modal button[name=action_import]",
            run: "click",
        },
        {
            content: "The import shows its two lines",
            trigger:
                ".o_form_view .o_field_widget[name=created_count]:contains(2)",
        },
    ],
});

registry.category("web_tour.tours").add("o2c_manual_reconcile_tour", {
    url: "/odoo/action-o2c_bank_feed.o2c_bank_line_action_open",
    steps: () => [
        {
            content: "Both imported lines are to reconcile",
            trigger: ".o_list_view .o_data_row:contains(March invoices)",
        },
        {
            trigger: ".o_list_view .o_data_row:contains(Office refund)",
        },
        {
            content: "Select all the lines",
            trigger: ".o_list_view thead .o_list_record_selector input",
            run: "click",
        },
        {
            content: "Reconcile the selection by hand",
            trigger: ".o_selection_container button:contains(Reconcile by Hand)",
            run: "click",
        },
        {
            content: "The wizard opens on the first line of two",
            trigger: `${DIALOG} .o_manual_reconcile_position:contains(Line 1 of 2)`,
        },
        {
            content: "Skip it with the keyboard (Alt+N: next line)",
            trigger: `${DIALOG} .o_manual_reconcile_label:contains(Office refund)`,
            run: "press alt+n",
        },
        {
            content: "The second line is shown",
            trigger: `${DIALOG} .o_manual_reconcile_label:contains(March invoices)`,
        },
        {
            trigger: `${DIALOG} .o_manual_reconcile_position:contains(Line 2 of 2)`,
        },
        {
            content: "Its partner, found from the IBAN, filters the open items",
            trigger: `${DIALOG} .o_field_widget[name=filter_partner_id] input:value(Tour Customer)`,
        },
        {
            content: "Pay the first invoice",
            trigger: `${itemRow("TOUR-INV-A")} td[name=selected] input`,
            run: "click",
        },
        {
            content: "400.00 of the line is left",
            trigger: `${DIALOG} .o_field_widget[name=remaining_amount]:contains(400.00)`,
        },
        {
            content: "Pay the second invoice",
            trigger: `${itemRow("TOUR-INV-B")} td[name=selected] input`,
            run: "click",
        },
        {
            content: "It gets what is left: a partial 400.00",
            trigger: `${itemRow("TOUR-INV-B")} td[name=amount]:contains(400.00), ${itemRow(
                "TOUR-INV-B"
            )} td[name=amount] input:value(400.00)`,
        },
        {
            trigger: `${DIALOG} .o_field_widget[name=remaining_amount]:contains(0.00)`,
        },
        {
            content: "Apply the whole 410.00 instead",
            trigger: `${itemRow("TOUR-INV-B")} td[name=amount]`,
            run: "click",
        },
        {
            trigger: `${itemRow("TOUR-INV-B")} td[name=amount] input`,
            run: "edit 410",
        },
        {
            content: "Leave the row",
            trigger: `${DIALOG} .o_manual_reconcile_label`,
            run: "click",
        },
        {
            content: "The line is 10.00 short",
            trigger: `${DIALOG} .o_field_widget[name=remaining_amount]:contains(-10.00)`,
        },
        {
            content: "Write the difference off to the bank charges",
            trigger: `${DIALOG} .o_field_widget[name=writeoff_account_id] input`,
            run: "edit Tour Bank Charges",
        },
        {
            trigger: ".o-autocomplete--dropdown-item a:contains(Tour Bank Charges)",
            run: "click",
        },
        {
            content: "The write-off takes the difference",
            trigger: `${DIALOG} .o_field_widget[name=writeoff_amount] input:value(-10.00)`,
        },
        {
            trigger: `${DIALOG} .o_field_widget[name=remaining_amount]:contains(0.00)`,
        },
        {
            content: "Label the write-off",
            trigger: `${DIALOG} .o_field_widget[name=writeoff_label] input`,
            run: "edit Bank charges March",
        },
        {
            content: "Validate",
            trigger: `${DIALOG} button[name=action_validate]`,
            run: "click",
        },
        {
            content: "The line is reconciled and the wizard closed",
            trigger: ".o_notification:contains(March invoices reconciled)",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
    ],
});

registry.category("web_tour.tours").add("o2c_manual_undo_tour", {
    url: "/odoo/action-o2c_bank_feed.o2c_bank_line_action",
    steps: () => [
        {
            content: "Open the reconciled line",
            trigger: ".o_list_view .o_data_row:contains(March invoices) td[name=payment_ref]",
            run: "click",
        },
        {
            content: "It was matched by hand",
            trigger:
                ".o_form_view .o_field_widget[name=o2c_match_status] button[aria-checked=true]:contains(Matched by Hand)",
        },
        {
            content: "Undo the reconciliation",
            trigger: ".o_form_view button[name=action_o2c_undo_reconciliation]",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "The line is open again",
            trigger:
                ".o_form_view .o_field_widget[name=o2c_match_status] button[aria-checked=true]:contains(Unmatched)",
        },
        {
            trigger: ".o_form_view button[name=action_o2c_manual_reconcile]",
        },
    ],
});
