"""The Kubernetes objects of a job: the kinds (kinds/), rendering their templates (render), YAML in
and out (yaml_io), the Helm values of the same job (helm_values) and the kinds' cluster facts."""
