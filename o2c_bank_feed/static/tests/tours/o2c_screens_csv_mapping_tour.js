import { registry } from "@web/core/registry";

// Driven by tests/test_screens_tours.py (TestScreensTours.test_csv_mapping_tour): the CSV
// mapping of a bank journal built from a sample file, in the browser.
const SAMPLE =
    "Date,Amount,Description,Zahler,Ref\n" +
    "2026-03-02,100.50,Invoice one,ACME Tour Ltd,INV-1\n" +
    "2026-03-03,-20.00,Bank fee,Bank,\n";

registry.category("web_tour.tours").add("o2c_screens_csv_mapping_tour", {
    steps: () => [
        {
            content: "Open the mapping form from the journal",
            trigger: "button[name='action_o2c_configure_csv_mapping']",
            run: "click",
        },
        {
            content: "Upload a sample export of the bank",
            trigger: ".modal div[name='sample_file'] input[type='file']:not(:visible)",
            async run() {
                const input = document.querySelector(
                    ".modal div[name='sample_file'] input[type='file']"
                );
                const transfer = new DataTransfer();
                transfer.items.add(new File([SAMPLE], "tour_bank.csv", { type: "text/csv" }));
                input.files = transfer.files;
                input.dispatchEvent(new Event("change", { bubbles: true }));
            },
        },
        {
            content: "The sample is uploaded",
            trigger: ".modal div[name='sample_file'] input:value(tour_bank.csv)",
        },
        {
            content: "Read its columns",
            trigger: ".modal footer button[name='action_read_columns']",
            run: "click",
        },
        {
            content: "The date column was guessed from the header",
            trigger: ".modal div[name='date_column_id'] input:value(/^Date/)",
        },
        {
            content: "The preview shows the first lines",
            trigger:
                ".modal .o_o2c_csv_preview:contains('2026-03-02'):contains('Invoice one'):contains('-20.00')",
        },
        {
            content: "Pick the counterparty column the guess did not know",
            trigger: ".modal div[name='partner_column_id'] input",
            run: "edit Zahler",
        },
        {
            content: "From the file's own header",
            trigger: ".o-autocomplete--dropdown-menu a:contains('Zahler')",
            run: "click",
        },
        {
            content: "The preview now shows the counterparty",
            trigger: ".modal .o_o2c_csv_preview:contains('ACME Tour Ltd')",
        },
        {
            content: "Save the mapping on the journal",
            trigger: ".modal footer button[name='action_save']",
            run: "click",
        },
        {
            content: "Back on the journal, which shows the saved mapping",
            trigger: "body:not(:has(.modal)) div[name='o2c_csv_mapping_display']:contains('Zahler')",
        },
    ],
});
