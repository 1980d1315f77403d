/** @odoo-module **/
// Copyright 2026 O2C Integration Suite contributors
// License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import { registry } from "@web/core/registry";

const INTACT = ".o_notification:contains('The audit chain is intact')";

registry.category("web_tour.tours").add("o2c_audit_verify_chain", {
    url: "/odoo/action-o2c_integration.o2c_audit_log_action",
    steps: () => [
        {
            content: "Actions are shown with their labels, not their codes",
            trigger: ".o_list_renderer .o_data_row td:contains('Credential changed')",
        },
        {
            content: "Verify the chain with no row selected",
            trigger: ".o_control_panel button:contains('Verify Chain')",
            run: "click",
        },
        {
            content: "The verification result is shown",
            trigger: `${INTACT}:contains('entries verified')`,
        },
        {
            content: "Close the result",
            trigger: `${INTACT} .o_notification_close`,
            run: "click",
        },
        {
            content: "The result is closed",
            trigger: `body:not(:has(${INTACT}))`,
        },
        {
            content: "Select one audit entry",
            trigger: ".o_data_row:first .o_list_record_selector input",
            run: "click",
        },
        {
            content: "One row is selected",
            trigger: ".o_data_row.o_data_row_selected",
        },
        {
            content: "Verify the chain with a row selected",
            trigger: ".o_control_panel button:contains('Verify Chain')",
            run: "click",
        },
        {
            content: "The verification result is shown again",
            trigger: `${INTACT}:contains('entries verified')`,
        },
    ],
});
