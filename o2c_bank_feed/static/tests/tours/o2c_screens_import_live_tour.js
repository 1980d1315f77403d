import { rpc } from "@web/core/network/rpc";
import { registry } from "@web/core/registry";

// Driven by tests/test_screens_tours.py (TestScreensTours.test_import_form_live_tour): the
// import form reloads by itself when the matching of its lines ends elsewhere (bus).
registry.category("web_tour.tours").add("o2c_screens_import_live_tour", {
    steps: () => [
        {
            content: "The import waits for its matching",
            trigger: ".o_form_view div[name='pending_count']:contains('2')",
        },
        {
            content: "It is in the Imported state",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Imported')",
        },
        {
            content: "Its lines are matched elsewhere (another tab, a job): not by this form",
            trigger: ".o_form_view .oe_title:contains('live.csv')",
            async run() {
                const importId = parseInt(window.location.pathname.split("/").at(-1));
                await rpc("/web/dataset/call_kw/o2c.bank.statement.import/action_reconcile_unmatched", {
                    model: "o2c.bank.statement.import",
                    method: "action_reconcile_unmatched",
                    args: [[importId]],
                    kwargs: {},
                });
            },
        },
        {
            content: "The form reloaded on the bus notification: no line waits any more",
            trigger:
                ".o_form_view:not(:has(div[name='pending_count']:visible)) div[name='unmatched_count']:contains('2')",
        },
        {
            content: "And its state follows",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Done with Exceptions')",
        },
    ],
});
