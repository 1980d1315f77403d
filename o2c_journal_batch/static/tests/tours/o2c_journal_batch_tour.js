import { registry } from "@web/core/registry";

// Driven by o2c_journal_batch/tests/test_tour.py: two batches wait for an approval.
registry.category("web_tour.tours").add("o2c_journal_batch_tour", {
    steps: () => [
        {
            content: "Open the batch to approve",
            trigger: ".o_data_row td:contains('TOUR-APPROVE')",
            run: "click",
        },
        {
            content: "Approve and post it",
            trigger: "button.o_o2c_batch_approve",
            run: "click",
        },
        {
            content: "The batch is posted",
            trigger: ".o_statusbar_status .o_arrow_button_current:contains('Posted')",
        },
        {
            content: "Back to the list",
            trigger: ".o_breadcrumb li.breadcrumb-item a",
            run: "click",
        },
        {
            content: "Open the batch to reject",
            trigger: ".o_data_row td:contains('TOUR-REJECT')",
            run: "click",
        },
        {
            content: "Reject it",
            trigger: "button.o_o2c_batch_reject",
            run: "click",
        },
        {
            content: "Give the reason",
            trigger: ".modal div[name='reason'] textarea",
            run: "edit Wrong cost centres",
        },
        {
            content: "Confirm the rejection",
            trigger: ".modal button.o_o2c_confirm_reject",
            run: "click",
        },
        {
            content: "The batch is rejected",
            trigger: ".o_form_view:not(:has(.modal)) div[name='rejection_reason']:contains('Wrong cost centres')",
        },
    ],
});
