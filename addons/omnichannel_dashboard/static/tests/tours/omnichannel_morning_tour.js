/** @odoo-module **/
/* The owner's morning, in Ukrainian: open the Omnichannel app, open the marketplace order in exception
 * from the dashboard, retry it (a result with counts answers), go back, open the unanswered chat and
 * reply to the customer (the reply is confirmed). Triggers use stable hooks (menu xmlid, tile codes,
 * button names), not labels, so the tour survives wording changes. */
import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

registry.category("web_tour.tours").add("omnichannel_morning", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "The Omnichannel app is on the home menu, in Ukrainian",
            timeout: 40000, // the CI machine may be busy
            trigger: ".o_app[data-menu-xmlid='omnichannel_dashboard.omnichannel_menu_root']:contains('Омніканал')",
            run: "click",
        },
        {
            content: "The dashboard shows the chats tile with its oldest waiting time",
            timeout: 40000, // the CI machine may be busy
            trigger: ".o_omni_tile_chats:contains('Найдовше чекає')",
        },
        {
            content: "Open the marketplace orders in exception",
            timeout: 40000, // the CI machine may be busy
            trigger: ".o_omni_tile_mp_exceptions",
            run: "click",
        },
        {
            content: "Open the order in exception",
            timeout: 40000, // the CI machine may be busy
            trigger: ".o_list_view .o_data_row .o_data_cell[name='external_id']",
            run: "click",
        },
        {
            content: "Retry it",
            timeout: 40000, // the CI machine may be busy
            trigger: ".o_form_view .o_statusbar_buttons button[name='action_retry']",
            run: "click",
        },
        {
            content: "The click is answered with the counts, in Ukrainian",
            timeout: 40000, // the CI machine may be busy
            trigger: ".o_notification .o_notification_content:contains('Повторено')",
        },
        {
            content: "Back to the dashboard",
            timeout: 40000, // the CI machine may be busy
            trigger: ".o_breadcrumb .breadcrumb-item:first-child a",
            run: "click",
        },
        {
            content: "Open the unanswered chats",
            timeout: 40000, // the CI machine may be busy
            trigger: ".o_omni_tile_chats",
            run: "click",
        },
        {
            content: "Open the conversation",
            timeout: 40000, // the CI machine may be busy
            trigger: ".o_list_view .o_data_row .o_data_cell[name='name']",
            run: "click",
        },
        {
            content: "Reply in the messenger",
            timeout: 40000, // the CI machine may be busy
            trigger: ".o_form_view .o_statusbar_buttons button:has(.fa-paper-plane)",
            run: "click",
        },
        {
            content: "Write the answer",
            timeout: 40000, // the CI machine may be busy
            trigger: ".modal .o_field_widget[name='body'] textarea",
            run: "edit Так, стілець є в наявності. Відправимо сьогодні Новою поштою.",
        },
        {
            content: "Send it",
            timeout: 40000, // the CI machine may be busy
            trigger: ".modal button[name='action_send']",
            run: "click",
        },
        {
            content: "The reply is confirmed",
            timeout: 40000, // the CI machine may be busy
            trigger: ".o_notification .o_notification_content:contains('Бот надсилає')",
        },
    ],
});
