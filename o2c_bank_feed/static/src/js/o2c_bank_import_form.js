import { onWillUnmount } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { FormController } from "@web/views/form/form_controller";
import { formView } from "@web/views/form/form_view";

/**
 * The import form follows its reconciliation: each finished matching job sends
 * "o2c.bank.import/updated" on the bus (o2c.bank.statement.import._o2c_notify_updated),
 * and the form showing one of those imports reloads its figures and state.
 */
export class O2cBankImportFormController extends FormController {
    setup() {
        super.setup();
        const busService = useService("bus_service");
        const onUpdated = ({ import_ids }) => {
            const record = this.model.root;
            if (record.resId && import_ids.includes(record.resId) && !record.dirty) {
                record.load();
            }
        };
        busService.subscribe("o2c.bank.import/updated", onUpdated);
        onWillUnmount(() => busService.unsubscribe("o2c.bank.import/updated", onUpdated));
    }
}

registry.category("views").add("o2c_bank_import_form", {
    ...formView,
    Controller: O2cBankImportFormController,
});
