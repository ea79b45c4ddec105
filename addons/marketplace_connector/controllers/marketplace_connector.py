"""YML price feed per channel: /marketplace/feed/<channel id>/<secret token>.xml"""

import hmac
import logging

from odoo import http
from odoo.http import request

_logger = logging.getLogger(__name__)


class MarketplaceFeedController(http.Controller):
    @http.route("/marketplace/feed/<int:channel_id>/<string:token>.xml", type="http", auth="public",
                methods=["GET"], csrf=False, save_session=False)
    def marketplace_feed(self, channel_id, token, **kwargs):
        channel_sudo = request.env["marketplace.channel"].sudo().browse(channel_id).exists()
        if not channel_sudo or not channel_sudo.active or not hmac.compare_digest(
                channel_sudo.feed_token or "", token or ""):
            _logger.warning("Marketplace feed: refused request for channel %s", channel_id)
            return request.make_response("Forbidden", status=403, headers=[("Content-Type", "text/plain")])
        content = channel_sudo._get_feed()
        return request.make_response(content, headers=[("Content-Type", "application/xml; charset=utf-8")])
