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

    @http.route("/marketplace/image/<int:channel_id>/<int:product_id>/<string:signature>.<string:ext>",
                type="http", auth="public", methods=["GET"], csrf=False, save_session=False)
    def marketplace_image(self, channel_id, product_id, signature, ext, **kwargs):
        """Public product image for the <picture> element of a channel's feed: signed per channel and product,
        and only for products mapped on the channel."""
        from ..models.marketplace_feed import image_signature

        channel_sudo = request.env["marketplace.channel"].sudo().browse(channel_id).exists()
        if not channel_sudo or not channel_sudo.active or not hmac.compare_digest(
                image_signature(channel_sudo.feed_token, channel_id, product_id), signature or ""):
            return request.make_response("Forbidden", status=403, headers=[("Content-Type", "text/plain")])
        offer_sudo = request.env["marketplace.offer"].sudo().search(
            [("channel_id", "=", channel_id), ("product_id", "=", product_id)], limit=1)
        if not offer_sudo or not offer_sudo.product_id.image_1920:
            return request.not_found()
        stream = request.env["ir.binary"]._get_image_stream_from(offer_sudo.product_id, "image_1920")
        return stream.get_response(max_age=3600)
