import { registry } from "@web/core/registry";

// Driven by tests/test_screens_tours.py (TestScreensTours.test_exception_tour): a finance user
// opens an exception from the queue, reads its details, assigns it and resolves it.
registry.category("web_tour.tours").add("o2c_screens_exception_tour", {
    url: "/odoo/action-o2c_integration.o2c_exception_action",
    steps: () => [
        {
            content: "Open the exception from the queue",
            trigger: ".o_data_row td[name='name']:contains('Order #tour-1005')",
            run: "click",
        },
        {
            content: "The form shows the human title",
            trigger:
                ".o_form_view .oe_title div[name='name'] input:value('Order #tour-1005 from Tour Web Shop: validation failed')",
        },
        {
            content: "The description says what to do",
            trigger: ".o_notebook div[name='description'] textarea:value(/Retry Source Event/)",
        },
        {
            content: "Open the Details tab",
            trigger: ".o_notebook_headers a[name='details']",
            run: "click",
        },
        {
            content: "The details are readable JSON, not [object Object]",
            trigger: ".o_notebook div[name='details_display']:contains('violations')",
        },
        {
            content: "Assign it to a colleague",
            trigger: ".o_form_view div[name='user_id'] input",
            run: "edit Fiona",
        },
        {
            content: "Pick her in the list",
            trigger: ".o-autocomplete--dropdown-menu a:contains('Fiona Finance')",
            run: "click",
        },
        {
            content: "Write the resolution note",
            trigger: ".o_form_view div[name='resolution_note'] textarea",
            run: "edit Customer name added at the source, order sent again.",
        },
        {
            content: "Resolve",
            trigger: ".o_form_view .o_form_statusbar button[name='action_resolve']",
            run: "click",
        },
        {
            content: "The exception is resolved",
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains('Resolved')",
        },
    ],
});
