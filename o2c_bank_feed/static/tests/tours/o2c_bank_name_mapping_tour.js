import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_utils";

// A finance manager maps a payer name the bank writes to a customer, from the menu.
registry.category("web_tour.tours").add("o2c_bank_name_mapping_tour", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("o2c_integration.menu_o2c_root", "Open Order-to-Cash"),
        {
            trigger: 'button[data-menu-xmlid="o2c_integration.menu_o2c_config"]',
            run: "click",
        },
        {
            trigger: 'a[data-menu-xmlid="o2c_bank_feed.menu_o2c_bank_name_mappings"]',
            run: "click",
        },
        {
            trigger: ".o_list_view .o_data_cell:contains(Already known name)",
        },
        {
            trigger: "button.o_list_button_add",
            run: "click",
        },
        {
            trigger: 'div[name="name"] input',
            run: "edit BRIGHTWATER LOGISTICS",
        },
        {
            trigger: 'div[name="partner_id"] input',
            run: "edit Brightwater Tour",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains(Brightwater Tour GmbH)",
            run: "click",
        },
        ...stepUtils.saveForm(),
        {
            trigger: 'div[name="name_key"]:contains(BRIGHTWATER LOGISTICS)',
        },
    ],
});
