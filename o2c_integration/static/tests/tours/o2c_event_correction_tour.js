/** @odoo-module **/
// Copyright 2026 O2C Integration Suite contributors
// License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import {registry} from "@web/core/registry";

registry.category("web_tour.tours").add("o2c_event_correction", {
    steps: () => [
        {
            content: "Open the correction wizard of the failed event",
            trigger: ".o_form_view button[name='action_edit_and_retry']",
            run: "click",
        },
        {
            content: "The received payload is shown",
            trigger: ".modal .o_field_widget[name='original_payload']:contains('INV/2026/0001')",
        },
        {
            content: "Correct the payload",
            trigger: ".modal .o_field_widget[name='new_payload'] textarea",
            run: 'edit {"invoice": "INV/2026/0002", "amount": 10.00}',
        },
        {
            content: "Say why (leaving the payload commits it)",
            trigger: ".modal .o_field_widget[name='reason'] textarea",
            run: "edit The customer paid invoice INV/2026/0002",
        },
        {
            content: "The change is shown",
            trigger: ".modal .o_field_widget[name='diff']:contains('INV/2026/0002')",
        },
        {
            content: "Create the correction",
            trigger: ".modal button[name='action_confirm']",
            run: "click",
        },
        {
            content: "The correction event opens, linked to the original",
            trigger: ".o_form_view .o_field_widget[name='corrected_from_id']",
        },
    ],
});
