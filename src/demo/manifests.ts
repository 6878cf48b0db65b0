// The demo's Git content: example manifests that `npm start` commits into a local demo repository.
export const DEMO_FILES: Readonly<Record<string, string>> = {
  "apps/shop/web.yaml": `# The storefront: protected in enforce mode (see driftguard.io/mode).
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: web}
  annotations:
    driftguard.io/mode: enforce
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27.3
          ports:
            - containerPort: 80
          resources:
            requests: {cpu: 0.25, memory: 128Mi}
            limits: {memory: 256Mi}
          env:
            - name: LOG_LEVEL
              value: info
          readinessProbe:
            httpGet: {path: /, port: 80}
`,
  "apps/shop/api.yaml": `# The API: scaled by an HPA, so Git leaves replicas out (driftguard then leaves them alone).
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: registry.example.com/shop/api:2.4.1
          ports:
            - containerPort: 8080
`,
  // A Kustomize overlay over a base: rendered with the real kustomize, as Argo CD and Flux do.
  "kustomize/base/cart/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: cart
  labels: {app: cart}
spec:
  replicas: 1
  selector:
    matchLabels: {app: cart}
  template:
    metadata:
      labels: {app: cart}
    spec:
      containers:
        - name: cart
          image: registry.example.com/shop/cart:1.7.0
          ports:
            - containerPort: 8080
`,
  "kustomize/base/cart/kustomization.yaml": `resources: [deployment.yaml]
`,
  "kustomize/overlays/shop/kustomization.yaml": `# The shop's overlay: its namespace, the image it runs, two replicas.
namespace: shop
resources: [../../base/cart]
images:
  - name: registry.example.com/shop/cart
    newTag: "1.8.0"
patches:
  - target: {kind: Deployment, name: cart}
    patch: |-
      - op: replace
        path: /spec/replicas
        value: 2
`,
  // A Helm chart: rendered with the real helm template.
  "helm/search/Chart.yaml": `apiVersion: v2
name: search
version: 0.3.0
appVersion: "3.1.0"
`,
  "helm/search/values.yaml": `replicaCount: 1
image: registry.example.com/shop/search
`,
  "helm/search/templates/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
  labels:
    app.kubernetes.io/name: search
    app.kubernetes.io/instance: {{ .Release.Name }}
    helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
spec:
  replicas: {{ .Values.replicaCount }}
  selector:
    matchLabels:
      app.kubernetes.io/name: search
  template:
    metadata:
      labels:
        app.kubernetes.io/name: search
    spec:
      containers:
        - name: search
          image: "{{ .Values.image }}:{{ .Chart.AppVersion }}"
          ports:
            - containerPort: 9200
`,
};

export const DEMO_CONFIG = `# driftguard demo configuration (written by \`npm start\` when no --config is given).
mode: audit               # default for every namespace; the web manifest asks for enforce
unmanaged: allow
onUnsynced: allow
sources:
  - name: demo
    url: ./repo
    paths:
      - apps                                # plain manifests
__RENDERED_APPS__    interval: 30s
exemptions:
  - serviceAccounts: [kube-system/horizontal-pod-autoscaler]
    fields: [replicas]
gitops:
  serviceAccounts: [argocd/argocd-application-controller]
server:
  host: 127.0.0.1
  port: 8443
  tlsCertFile: ../../certs/tls.crt
  tlsKeyFile: ../../certs/tls.key
webView:                  # the read-only page of sources, drift and decisions (loopback only)
  enabled: true
  host: 127.0.0.1
  port: 8081
stateDir: ./state
`;

/** The demo's rendered apps, listed in its config only when kustomize and helm are there to render them. */
export const DEMO_RENDERED_APPS = `      - path: kustomize/overlays/shop       # a Kustomize overlay (kustomize build)
      - path: helm/search                   # a Helm chart (helm template)
        namespace: shop
        helm: {values: {replicaCount: 2}}
`;

/** A file only the current demo repository has: an older one is made again. */
export const DEMO_MARKER = "helm/search/Chart.yaml";
