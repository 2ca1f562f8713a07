"""Notifications: the caller's in-portal notifications (a student's own, a site coordinator's site's, the
Operator desk's), their unread count, and marking them read.

Notifications dumps every answer through its contract itself: these routes pass them on as they come."""
import functools

from common.contracts.notifications import (MarkedRead, NotificationOut, NotificationPage, NotificationQuery,
                                            UnreadCount)
from gateway.http import route as gateway_route

route = functools.partial(gateway_route, dumped=True)


class NotificationsRoutes:

    @route("GET", "/api/v1/notifications", summary="The caller's notifications, newest first", tag="notifications",
           query=NotificationQuery, response=NotificationPage)
    def list_notifications(self, request, query):
        return self.notifications.list_notifications(query)

    @route("GET", "/api/v1/notifications/unread-count", summary="How many of the caller's notifications are unread",
           tag="notifications", response=UnreadCount)
    def unread_notifications(self, request):
        return self.notifications.unread_count()

    @route("POST", "/api/v1/notifications/<notification_id>/read", summary="Mark one notification read",
           tag="notifications", response=NotificationOut, errors=(404,))
    def read_notification(self, request, notification_id):
        return self.notifications.mark_read(notification_id)

    @route("POST", "/api/v1/notifications/read-all", summary="Mark all the caller's notifications read",
           tag="notifications", response=MarkedRead)
    def read_all_notifications(self, request):
        return self.notifications.mark_all_read()
