"""Geometry stored portably: GeoJSON text (WGS-84) plus an indexed bounding box and a centroid."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class GeometryColumns(models.Model):
    geometry = models.TextField(_("geometry (GeoJSON, WGS-84)"), blank=True)
    min_lon = models.FloatField(null=True, blank=True)
    min_lat = models.FloatField(null=True, blank=True)
    max_lon = models.FloatField(null=True, blank=True)
    max_lat = models.FloatField(null=True, blank=True)
    centroid_lon = models.FloatField(_("centroid longitude"), null=True, blank=True)
    centroid_lat = models.FloatField(_("centroid latitude"), null=True, blank=True)

    class Meta:
        abstract = True
