/** Bulk actions: accept the top suggestions of bank lines, work exceptions.
 *
 * Driven by tests/test_manual_reconcile_tour.py (data set up there, the
 * accounting checked there after the tour).
 */
import { registry } from "@web/core/registry";

function selectRow(text) {
    return {
        content: `Select ${text}`,
        trigger: `.o_list_view .o_data_row:contains(${text}) .o_list_record_selector input`,
        run: "click",
    };
}

registry.category("web_tour.tours").add("o2c_bulk_accept_tour", {
    url: "/odoo/action-o2c_bank_feed.o2c_bank_line_action_open",
    steps: () => [
        selectRow("Bulk payment 75"),
        selectRow("Bulk payment 88"),
        {
            content: "Accept the best suggestion of each",
            trigger: ".o_selection_container button:contains(Accept Top Suggestions)",
            run: "click",
        },
        {
            content: "Both are reconciled",
            trigger: ".o_notification:contains(2 line(s) reconciled)",
        },
        {
            content: "The list no longer shows them",
            trigger: ".o_list_view:not(:has(.o_data_row:contains(Bulk payment)))",
        },
    ],
});

registry.category("web_tour.tours").add("o2c_bulk_exceptions_tour", {
    url: "/odoo/action-o2c_integration.o2c_exception_action",
    steps: () => [
        {
            trigger: ".o_list_view .o_data_row:contains(Tour exception 2)",
        },
        selectRow("Tour exception 0"),
        selectRow("Tour exception 1"),
        {
            content: "Assign them",
            trigger: ".o_selection_container button:contains(Assign)",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=exception_count]:contains(2)",
        },
        {
            content: "to a colleague",
            trigger: ".modal .o_field_widget[name=user_id] input",
            run: "edit Tour Assignee",
        },
        {
            trigger: ".o-autocomplete--dropdown-item a:contains(Tour Assignee)",
            run: "click",
        },
        {
            trigger: ".modal button[name=action_apply]",
            run: "click",
        },
        {
            content: "They are assigned",
            trigger: ".o_notification:contains(2 exception(s) assigned to Tour Assignee)",
        },
        {
            trigger:
                ".o_list_view .o_data_row:contains(Tour exception 0):contains(Tour Assignee)",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
        selectRow("Tour exception 0"),
        selectRow("Tour exception 1"),
        {
            content: "Resolve them",
            trigger: ".o_selection_container button:contains(Resolve)",
            run: "click",
        },
        {
            content: "with one note",
            trigger: ".modal .o_field_widget[name=note] textarea",
            run: "edit Paid twice, refunded by the bank",
        },
        {
            trigger: ".modal button[name=action_apply]",
            run: "click",
        },
        {
            content: "They are resolved",
            trigger: ".o_notification:contains(2 exception(s) resolved)",
        },
        {
            content: "and leave the open queue",
            trigger: ".o_list_view:not(:has(.o_data_row:contains(Tour exception 0)))",
        },
        {
            trigger: ".o_list_view .o_data_row:contains(Tour exception 2)",
        },
    ],
});
