import { registry } from "@web/core/registry";

// Driven by o2c_integration/tests/test_settings.py (TestSettingsTour), which runs the
// server with the encryption key whose id is 3a57a05c.
registry.category("web_tour.tours").add("o2c_settings_tour", {
    url: "/odoo/settings",
    steps: () => [
        {
            content: "Open the Order-to-Cash section",
            trigger: ".settings_tab .tab[data-key='o2c_integration']",
            run: "click",
        },
        {
            content: "The key status shows the primary key id, never the key",
            trigger: ".o_o2c_key_status .o_o2c_primary_key_id:contains('3a57a05c')",
        },
        {
            content: "No job ran: the runner warning is shown",
            trigger: ".o_o2c_runner_warning:visible",
        },
        {
            content: "Change the payload retention",
            trigger: "div[name='o2c_payload_retention_days'] input",
            run: "edit 45",
        },
        {
            content: "Save (the settings page reloads)",
            trigger: "button.o_form_button_save",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Back on the section after the reload",
            trigger: ".settings_tab .tab[data-key='o2c_integration']",
            run: "click",
        },
        {
            content: "Follow the link to the connections",
            trigger: "button.o_o2c_link_connections:enabled",
            run: "click",
        },
        {
            content: "The connections list is open",
            trigger: ".o_breadcrumb:contains('Connections')",
        },
        {
            content: "Back to the settings",
            trigger: ".o_breadcrumb .o_back_button a, .o_breadcrumb li.breadcrumb-item a",
            run: "click",
        },
        {
            content: "Open the Order-to-Cash section again",
            trigger: ".settings_tab .tab[data-key='o2c_integration']",
            run: "click",
        },
        {
            content: "Follow the link to the reconciliation rules",
            trigger: "button.o_o2c_link_rules:enabled",
            run: "click",
        },
        {
            content: "The rules list is open",
            trigger: ".o_breadcrumb:contains('Reconciliation Rules')",
        },
        {
            content: "Back to the settings",
            trigger: ".o_breadcrumb .o_back_button a, .o_breadcrumb li.breadcrumb-item a",
            run: "click",
        },
        {
            content: "Open the Order-to-Cash section once more",
            trigger: ".settings_tab .tab[data-key='o2c_integration']",
            run: "click",
        },
        {
            content: "Follow the link to the gateway accounts",
            trigger: "button.o_o2c_link_gateways:enabled",
            run: "click",
        },
        {
            content: "The gateway accounts are listed",
            trigger: ".o_breadcrumb:contains('Gateway Accounts')",
        },
    ],
});
